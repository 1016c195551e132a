import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../../errors';

/** A decoded image: 8-bit samples, row-major, channels interleaved ([H, W, C]). */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 for grayscale images, 3 for colour ones (alpha is dropped, see decodeImage). */
  channels: 1 | 3;
  pixels: Uint8Array;
}

export interface ImageLimits {
  /** Largest width * height accepted, checked from the header before any pixel is decoded. */
  maxPixels: number;
  /** jpeg-js's own allocation cap for one decode (its maxMemoryUsageInMB). */
  maxDecodeMegabytes: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decodes a PNG or JPEG (told apart by their magic bytes, not the name). Grayscale images
 * (PNG colour types 0 and 4, one-component JPEGs) keep one channel. Alpha is dropped and
 * the colour channels are kept as stored, which is what PIL's convert('RGB') does and so
 * what torchvision's ImageFolder trained the model on. Palette PNGs count as colour.
 */
export function decodeImage(bytes: Uint8Array, file: string, limits: ImageLimits): DecodedImage {
  if (isPng(bytes)) return decodePng(bytes, file, limits);
  if (isJpeg(bytes)) return decodeJpeg(bytes, file, limits);
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new InputError(`not a PNG or JPEG image: expected the PNG signature 89 50 4e 47 or the JPEG start ff d8 ff, found ${start || 'an empty file'}`, { file });
}

function decodePng(bytes: Uint8Array, file: string, limits: ImageLimits): DecodedImage {
  // IHDR is the first chunk: 8-byte signature, length, "IHDR", width, height (big-endian).
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new InputError('corrupt PNG: expected the IHDR chunk right after the signature', { file });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkSize(view.getUint32(16, false), view.getUint32(20, false), file, limits);
  let png: PNG & { color?: boolean };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new InputError(`corrupt PNG: ${(e as Error).message}`, { file });
  }
  // pngjs always hands back RGBA; its metadata says whether the file was colour.
  const channels = png.color === false ? 1 : 3;
  const { width, height, data } = png;
  if (data.length < width * height * 4) throw new InputError(`corrupt PNG: ${data.length} bytes of pixels for ${width}x${height}`, { file });
  const pixels = new Uint8Array(width * height * channels);
  for (let p = 0, q = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) pixels[q++] = data[p * 4 + c]!;
  }
  return { width, height, channels, pixels };
}

function decodeJpeg(bytes: Uint8Array, file: string, limits: ImageLimits): DecodedImage {
  const frame = jpegFrame(bytes, file);
  checkSize(frame.width, frame.height, file, limits);
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: limits.maxDecodeMegabytes,
    });
  } catch (e) {
    throw new InputError(`corrupt JPEG: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
  const { width, height, data } = image;
  if (width !== frame.width || height !== frame.height || data.length !== width * height * 3) {
    throw new InputError(`corrupt JPEG: decoded ${width}x${height} from a frame header of ${frame.width}x${frame.height}`, { file });
  }
  if (frame.components !== 1) return { width, height, channels: 3, pixels: data };
  // jpeg-js always returns RGB; a one-component JPEG has R = G = B.
  const pixels = new Uint8Array(width * height);
  for (let p = 0; p < pixels.length; p++) pixels[p] = data[p * 3]!;
  return { width, height, channels: 1, pixels };
}

/** Reads the start-of-frame header (SOF0..SOF15 but DHT/JPG/DAC) for the size and component count. */
function jpegFrame(bytes: Uint8Array, file: string): { width: number; height: number; components: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) { at++; continue; } // fill byte
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 10 > bytes.length) break;
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      return { width, height, components: bytes[at + 9]! };
    }
    if (marker === 0xda || length < 2) break; // scan data before any frame header
    at += 2 + length;
  }
  throw new InputError(`corrupt JPEG: no frame header (SOF marker) found before byte ${Math.min(at, bytes.length)}`, { file });
}

function checkSize(width: number, height: number, file: string, limits: ImageLimits): void {
  if (width === 0 || height === 0) throw new InputError(`image header declares a size of ${width}x${height}; expected at least 1x1`, { file });
  if (width * height > limits.maxPixels) {
    throw new InputError(`image is ${width}x${height} (${width * height} pixels); images of at most ${limits.maxPixels} pixels are read`, { file });
  }
}

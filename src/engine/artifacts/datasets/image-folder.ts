import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import { checkFolder, readRegularFile } from '../safe-files';
import { isImageFileName } from './format';
import { decodeImage, type DecodedImage, type ImageLimits } from './image-decode';
import type { LoadedRecords } from './loaded-records';
import { MAX_DATASET_BYTES, formatBytes } from './read-file';

export interface ImageFolderLimits extends ImageLimits {
  maxImages: number;
  /** Cap on the image files' total size on disk and, separately, on the decoded features (4 bytes a value). */
  maxTotalBytes: number;
}

export const IMAGE_FOLDER_LIMITS: ImageFolderLimits = {
  maxImages: 200_000,
  maxPixels: 4096 * 4096,
  maxDecodeMegabytes: 256,
  maxTotalBytes: MAX_DATASET_BYTES,
};

/** Folder levels inside a class folder that are searched for images. */
const MAX_NESTING = 8;

/**
 * An image-classification folder as torchvision's ImageFolder reads it: one sub-folder per
 * class (`train/cat/001.png`, `train/dog/a.jpg`), class index = position of the folder name
 * in sorted order, images in sorted path order within a class. Files other than .png, .jpg
 * and .jpeg are skipped; images directly in the root are an error (they have no class).
 * Features are the raw 0-255 samples as [H, W, C] (set "scale": 0.00392156862745098 for
 * 0-1); all images must have one size. If any image is colour, grayscale images are
 * widened to R = G = B so every record has 3 channels.
 */
export async function loadImageFolder(dir: string, limits: ImageFolderLimits = IMAGE_FOLDER_LIMITS): Promise<LoadedRecords> {
  checkFolder(dir, 'image folder');
  const entries = await readDir(dir, dir);
  const strays = entries.filter((e) => !e.isDirectory() && isImageFileName(e.name));
  if (strays.length > 0) {
    throw new InputError(`image "${strays[0]!.name}" is directly in the dataset folder; expected one sub-folder per class (e.g. cat/${strays[0]!.name})`, { file: path.join(dir, strays[0]!.name) });
  }
  const classes = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classes.length === 0) throw new InputError('image folder has no class sub-folders; expected one sub-folder per class holding .png/.jpg images', { file: dir });

  const files: { file: string; label: number }[] = [];
  let totalBytes = 0;
  for (const [label, name] of classes.entries()) {
    const classDir = path.join(dir, name);
    const images = await listImages(classDir, 0);
    if (images.length === 0) throw new InputError(`class folder "${name}" holds no .png, .jpg or .jpeg images`, { file: classDir });
    for (const image of images) {
      if (files.length >= limits.maxImages) {
        throw new InputError(`image folder holds more than ${limits.maxImages} images; at most ${limits.maxImages} are read`, { file: image.file });
      }
      totalBytes += image.size;
      if (totalBytes >= limits.maxTotalBytes) {
        throw new InputError(`image files add up to ${formatBytes(totalBytes)} or more by this one; image folders must be smaller than ${formatBytes(limits.maxTotalBytes)}`, { file: image.file });
      }
      files.push({ file: image.file, label });
    }
  }

  const decoded: DecodedImage[] = [];
  for (const { file } of files) {
    const bytes = await readImage(file, limits.maxTotalBytes);
    const image = decodeImage(bytes, file, limits);
    const first = decoded[0];
    if (first && (image.width !== first.width || image.height !== first.height)) {
      throw new InputError(
        `image is ${image.width}x${image.height} (width x height) but ${files[0]!.file} is ${first.width}x${first.height}; all images must have one size`,
        { file },
      );
    }
    if (!first) checkFeatureBytes(image.height * image.width * image.channels, files.length, dir, limits);
    decoded.push(image);
  }
  const first = decoded[0]!;
  const channels = decoded.some((d) => d.channels === 3) ? 3 : 1;
  const featureShape = [first.height, first.width, channels];
  const size = first.height * first.width * channels;
  checkFeatureBytes(size, decoded.length, dir, limits);
  const features = new Float32Array(size * decoded.length);
  decoded.forEach((image, r) => {
    const out = features.subarray(r * size, (r + 1) * size);
    if (image.channels === channels) out.set(image.pixels);
    else for (let p = 0; p < image.pixels.length; p++) out.fill(image.pixels[p]!, p * 3, p * 3 + 3);
  });
  return { count: files.length, featureShape, features, labels: Int32Array.from(files, (f) => f.label), labelNames: classes };
}

/** Refuses before allocating when count images of `size` values would pass the cap (4 bytes a value). */
function checkFeatureBytes(size: number, count: number, dir: string, limits: ImageFolderLimits): void {
  if (size * count * 4 >= limits.maxTotalBytes) {
    throw new InputError(`${count} images of ${size} values each make ${formatBytes(size * count * 4)} of float features; at most ${formatBytes(limits.maxTotalBytes)}`, { file: dir });
  }
}

async function readDir(dir: string, shownAs: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`cannot read the image folder: ${(e as Error).message}`, { file: shownAs });
  }
}

/** Image files under a class folder, sorted by path; symlinked folders are not entered (no cycles). */
async function listImages(dir: string, depth: number): Promise<{ file: string; size: number }[]> {
  const entries = (await readDir(dir, dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: { file: string; size: number }[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < MAX_NESTING) found.push(...(await listImages(full, depth + 1)));
    } else if (isImageFileName(entry.name)) {
      const stat = await fs.stat(full).catch(() => undefined);
      if (stat?.isFile()) found.push({ file: full, size: stat.size });
    }
  }
  return found;
}

/** A regular file inside the workspace (an image symlinked out of it, or to a device, is refused). */
async function readImage(file: string, maxBytes: number): Promise<Buffer> {
  return readRegularFile(file, { maxBytes, what: 'image' });
}

/**
 * Tar archives, as torch's oldest checkpoint format (members sys_info, pickle, storages,
 * tensors) and tarfile read them: 512-byte headers, octal sizes, data padded to 512.
 */
export interface TarMember {
  name: string;
  data: Uint8Array;
}

export function isTar(head: Uint8Array): boolean {
  return head.length >= 263 && Buffer.from(head.buffer, head.byteOffset + 257, 5).toString('latin1') === 'ustar';
}

/** Regular-file members in order; stops at the end marker or the first header it cannot read (reported in `error`). */
export function listTar(bytes: Uint8Array): { members: TarMember[]; error?: string } {
  const members: TarMember[] = [];
  let at = 0;
  while (at + 512 <= bytes.length) {
    const header = bytes.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return { members };
    const text = (from: number, length: number) => {
      const raw = Buffer.from(header.buffer, header.byteOffset + from, length).toString('latin1');
      const nul = raw.indexOf('\0');
      return nul >= 0 ? raw.slice(0, nul) : raw;
    };
    const sizeText = text(124, 12).trim();
    if (!/^[0-7]*$/.test(sizeText)) return { members, error: `tar header at byte ${at} has a size that is not octal` };
    const size = sizeText ? parseInt(sizeText, 8) : 0;
    const type = text(156, 1);
    const prefix = text(345, 155);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    const start = at + 512;
    if (start + size > bytes.length) return { members, error: `tar member "${name}" runs past the end of the file` };
    if (type === '0' || type === '' || type === '7') members.push({ name, data: bytes.subarray(start, start + size) });
    at = start + Math.ceil(size / 512) * 512;
  }
  return { members };
}

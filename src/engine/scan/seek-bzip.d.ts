/** The part of seek-bzip 2.0.0 (which ships no types) that the scanner uses. */
declare module 'seek-bzip' {
  namespace Bunzip {
    interface ByteInput {
      /** The next byte; seek-bzip's own streams return -1 at the end. */
      readByte(): number;
      read(buffer: Uint8Array, offset: number, length: number): number;
      eof(): boolean;
    }
    interface ByteOutput {
      writeByte(byte: number): void;
    }
  }
  /** A decoder over one bzip2 stream: the constructor reads the stream header (BZh1-9), throwing if it is not one. */
  class Bunzip {
    constructor(input: Bunzip.ByteInput, output: Bunzip.ByteOutput);
    /** Codes on the errors it throws (as `errorCode`). */
    static Err: { OBSOLETE_INPUT: number; DATA_ERROR: number; NOT_BZIP_DATA: number };
    reader: { read(bits: number): number };
    streamCRC: number;
    /** Reads the next block's header and data; false at the end-of-stream marker. */
    _init_block(): boolean;
    /** Writes the block read by _init_block to the output, checking its CRC. */
    _read_bunzip(): void;
    /** Starts the next stream (header BZh1-9) on the same input. */
    _start_bunzip(input: Bunzip.ByteInput, output: Bunzip.ByteOutput): void;
  }
  export = Bunzip;
}

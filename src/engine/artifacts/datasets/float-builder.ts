/** A Float32Array that grows as values are appended; for text formats whose record count is unknown up front. */
export class Float32Builder {
  private data = new Float32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  finish(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

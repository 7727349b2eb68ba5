/**
 * pdf.js as bundled in unpdf 1.7 calls ArrayBuffer.prototype.transferToFixedLength (Node 21+) when
 * it renders a page with a system font. On Node 20 that throws inside pdf.js, the first page comes
 * out blank and the next render never settles. This fills the gap with a copy (the original buffer
 * is not detached, which pdf.js does not rely on). Imported for its effect by pdf.ts.
 */
interface TransferableBuffer {
  transferToFixedLength?: (newLength?: number) => ArrayBuffer;
}

if (typeof (ArrayBuffer.prototype as TransferableBuffer).transferToFixedLength !== 'function') {
  Object.defineProperty(ArrayBuffer.prototype, 'transferToFixedLength', {
    configurable: true,
    writable: true,
    value(this: ArrayBuffer, newLength?: number): ArrayBuffer {
      const length = newLength ?? this.byteLength;
      const copy = new ArrayBuffer(length);
      new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
      return copy;
    },
  });
}

export {};

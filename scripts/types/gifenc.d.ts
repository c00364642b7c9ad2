// gifenc ships no types. Node sees it as CommonJS whose named exports its
// loader cannot detect, so only the default import (module.exports) works.
declare module 'gifenc' {
  export type PixelFormat = 'rgb565' | 'rgb444' | 'rgba4444'
  export type Palette = number[][]

  export interface QuantizeOptions {
    format?: PixelFormat
    oneBitAlpha?: boolean | number
    clearAlpha?: boolean
    clearAlphaThreshold?: number
    clearAlphaColor?: number
  }

  export interface FrameOptions {
    palette?: Palette
    first?: boolean
    transparent?: boolean
    transparentIndex?: number
    delay?: number
    /** -1 = play once (no NETSCAPE2.0 loop block), 0 = forever, n > 0 = n extra loops */
    repeat?: number
    colorDepth?: number
    dispose?: number
  }

  export interface Encoder {
    writeFrame (index: Uint8Array, width: number, height: number, opts?: FrameOptions): void
    finish (): void
    bytes (): Uint8Array
  }

  interface Gifenc {
    GIFEncoder (opts?: { auto?: boolean, initialCapacity?: number }): Encoder
    quantize (rgba: Uint8Array | Uint8ClampedArray, maxColors: number, opts?: QuantizeOptions): Palette
    applyPalette (rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: PixelFormat): Uint8Array
  }

  const gifenc: Gifenc
  export default gifenc
}

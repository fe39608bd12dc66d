/**
 * The part of the WebAssembly JS API that the SIMD kernel (simd.ts) uses, for the Node environment
 * (tsconfig.main.json). Node has WebAssembly as a global, but TypeScript declares it only in its DOM
 * lib and @types/node 20 not at all. The configs with DOM (tests) get the full declarations from
 * lib.dom instead: no config includes both.
 */
type BufferSource = ArrayBufferView<ArrayBuffer> | ArrayBuffer

declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number
    maximum?: number
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor)
    readonly buffer: ArrayBuffer
    grow(delta: number): number
  }
  class Module {
    constructor(bytes: BufferSource)
  }
  class Instance {
    constructor(module: Module, importObject?: Record<string, Record<string, unknown>>)
    readonly exports: Record<string, unknown>
  }
}

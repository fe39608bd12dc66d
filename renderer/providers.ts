import type { ProviderSetting } from '../preload/vocabulary'

/** The execution providers' names, as the settings and the teacher bar show them. */
export const PROVIDER_NAMES: Record<ProviderSetting, string> = { auto: 'Automatic', cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', webgpu: 'WebGPU', cpu: 'CPU' }

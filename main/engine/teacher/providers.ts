/**
 * Execution-provider choice. onnxruntime-node does not fall back by itself when a provider's
 * library is missing (it throws), so we try each candidate in turn and keep every reason.
 */
import type { ProviderName, ProviderSetting } from '../../../preload/vocabulary'

export interface ProviderAttempt {
  provider: ProviderName
  ok: boolean
  /** Why the provider could not be used (session creation or first run failed). */
  error?: string
}

export interface ProviderReport {
  requested: ProviderSetting
  /** The provider the session runs on (its unsupported nodes still go to the CPU). */
  used: ProviderName
  deviceId: number
  attempts: ProviderAttempt[]
  /** One sentence for the UI/CLI when `used` is not what was asked for; undefined otherwise. */
  fallback?: string
  /** Nodes per ORT provider, from profiling the first batch, e.g. { CPUExecutionProvider: 73 }. */
  nodes?: Record<string, number>
  intraOpThreads: number
  interOpThreads: number
}

/** GPU providers tried by `auto`, in order, for a platform. WebGPU needs no CUDA install. */
export function autoCandidates(platform: NodeJS.Platform = process.platform): ProviderName[] {
  const gpu: ProviderName[] = platform === 'linux' ? ['cuda'] : platform === 'win32' ? ['dml'] : platform === 'darwin' ? ['coreml'] : []
  return [...gpu, 'webgpu', 'cpu']
}

/** Candidates for a setting: an explicit GPU provider still falls back to the CPU, and says so. */
export function candidatesFor(setting: ProviderSetting, platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (setting === 'auto') return autoCandidates(platform)
  if (setting === 'cpu') return ['cpu']
  return [setting, 'cpu']
}

/** The executionProviders list for a session on `p`; CPU is listed last for nodes `p` lacks. */
export function sessionProviders(p: ProviderName, deviceId: number): (string | { name: string; deviceId?: number })[] {
  switch (p) {
    case 'cuda':
    case 'dml':
      return [{ name: p, deviceId }, 'cpu']
    case 'coreml':
    case 'webgpu':
      // Neither takes a device id in onnxruntime-node: CoreML picks the ANE/GPU itself, WebGPU the default adapter.
      return [p, 'cpu']
    case 'cpu':
      return ['cpu']
  }
}

export function describeFallback(r: Pick<ProviderReport, 'requested' | 'used' | 'attempts'>): string | undefined {
  const failed = r.attempts.filter((a) => !a.ok)
  if (failed.length === 0) return undefined
  return `running on ${r.used}: ` + failed.map((a) => `${a.provider} unavailable (${a.error ?? 'unknown reason'})`).join('; ')
}

/** Keeps a native error readable: first line, no Vulkan/Dawn noise, bounded length. */
export function shortError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  let line = msg.split('\n').find((l) => l.trim()) ?? msg
  // ORT prefixes asserts with "/src/path.cc:123 function(...) <condition> was false."; keep the sentence after it.
  line = line.replace(/^\/\S+:\d+ .*? was false\. /, '')
  return line.length > 300 ? line.slice(0, 297) + '...' : line
}

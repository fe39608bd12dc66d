import { useEffect, useState } from 'react'
import { HEAD_KINDS, LIMITS, MAX_VIEWS, STRATEGIES, STRATEGY_NAMES, type HeadKind, type ProviderSetting, type StrategyName } from '../../preload/vocabulary'
import { PROVIDER_NAMES } from '../providers'
import { useSettings } from '../stores/settings'
import { useTeacher } from '../stores/teacher'
import { useTeachers } from '../stores/teachers'
import { useUi, type ThemeChoice } from '../stores/ui'
import { Dialog } from './Dialog'
import { ClassPrompts } from './settings/ClassPrompts'
import { ImportTeacher } from './settings/ImportTeacher'
import { TeachersSection } from './settings/Teachers'


/** What each strategy does, and what its one knob means, in words (its default is the vocabulary's). */
const STRATEGY_TEXT: Record<StrategyName, { title: string; help: string; param: string }> = {
  threshold: { title: 'Confidence threshold', help: 'Every image whose top class reaches the threshold.', param: 'Threshold' },
  adaptive: { title: 'Adaptive per-class thresholds', help: 'Thresholds follow the head’s own confidence, lower for classes it is unsure of (FreeMatch).', param: 'Lowest threshold' },
  balanced: { title: 'Class-balanced top-k', help: 'The most confident images of each class, a growing share each round (Noisy Student).', param: 'Share by the last round' },
  agreement: { title: 'Two views agree', help: 'The head and label propagation over neighbours must give the same class; balanced per class.', param: 'Share by the last round' },
  ensemble: { title: 'Two views averaged', help: 'The head’s and label propagation’s probabilities averaged; balanced per class.', param: 'Share by the last round' },
}

/** Each head in words: what it is and when it is the better choice. */
const HEAD_TEXT: Record<HeadKind, { title: string; help: string }> = {
  logistic: { title: 'Logistic (linear)', help: 'A linear classifier on the embeddings: the better choice with few labels per class, and the fastest.' },
  mlp: { title: 'MLP (one hidden layer)', help: 'Can separate classes no straight line does; worth trying once classes have dozens of labels or accepted pseudo-labels. Slower to train.' },
}

/**
 * Teacher model, execution provider (asked for and actually running), threads, device; how rounds
 * pick; the theme. Opened from the top bar's button or with Ctrl+, (Cmd+, on a Mac: keymap.ts).
 */
export function SettingsView() {
  const open = useUi((s) => s.settingsOpen)
  const openSettings = useUi((s) => s.openSettings)
  if (!open) return null
  return (
    <Dialog title="Settings" onClose={() => openSettings(false)} className="settings-view" testId="settings-view">
      <SettingsForm />
    </Dialog>
  )
}

function SettingsForm() {
  const { settings, status, load } = useTeacher()
  const { error, note, save } = useSettings()
  const { teachers, load: loadTeachers } = useTeachers()
  const { theme, setTheme } = useUi()
  // Numbers are typed freely and saved on change once valid, so a half-typed value is never sent.
  const [threads, setThreads] = useState<string | null>(null)
  // The slider moves freely and is saved once it rests, not at every step.
  const [draftParam, setDraftParam] = useState<number | null>(null)
  useEffect(() => {
    if (draftParam === null) return
    const t = setTimeout(() => void save({ strategyParam: draftParam }).then(() => setDraftParam(null)), 300)
    return () => clearTimeout(t)
  }, [draftParam, save])

  useEffect(() => {
    void loadTeachers()
    if (!useTeacher.getState().settings) void load()
  }, [loadTeachers, load])

  if (!settings) return <p className="muted">Loading the settings…</p>
  const provider = status?.provider ?? null
  const strategy = { ...STRATEGY_TEXT[settings.strategy], ...STRATEGIES[settings.strategy] }
  const param = draftParam ?? settings.strategyParam ?? strategy.defaultParam
  const models = teachers.map((t) => ({ id: t.id, name: t.name, description: t.description, available: t.state === 'installed' }))
  const listed = models.some((m) => m.id === settings.teacher) ? models : [...models, { id: settings.teacher, name: settings.teacher, description: '', available: false }]

  return (
    <div className="settings-form">
      <fieldset>
        <legend>Teacher</legend>
        <label className="field">
          <span>Model</span>
          <select aria-label="Teacher model" value={settings.teacher} onChange={(e) => void save({ teacher: e.target.value })}>
            {listed.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
                {m.available ? '' : ' (file not on this machine)'}
              </option>
            ))}
          </select>
        </label>
        {listed.find((m) => m.id === settings.teacher)?.description && <p className="muted help">{listed.find((m) => m.id === settings.teacher)?.description}</p>}
        <label className="field">
          <span>Execution provider</span>
          <select aria-label="Execution provider asked for" value={settings.provider} onChange={(e) => void save({ provider: e.target.value as ProviderSetting })}>
            {(Object.keys(PROVIDER_NAMES) as ProviderSetting[]).map((p) => (
              <option key={p} value={p}>
                {p === 'auto' ? `${PROVIDER_NAMES.auto} (GPU first, then CPU)` : PROVIDER_NAMES[p]}
              </option>
            ))}
          </select>
        </label>
        <p className="field" data-testid="provider-running">
          <span>Running on</span>
          <span>
            {provider ? (
              <>
                <strong>{PROVIDER_NAMES[provider.used]}</strong>
                {provider.requested !== provider.used && <span className="muted"> (asked for {PROVIDER_NAMES[provider.requested]})</span>}
                {provider.nodes && (
                  <span className="muted">
                    {' · '}
                    {Object.entries(provider.nodes)
                      .map(([ep, n]) => `${n} nodes on ${ep.replace('ExecutionProvider', '')}`)
                      .join(', ')}
                  </span>
                )}
              </>
            ) : (
              <span className="muted">not running yet (open a folder)</span>
            )}
          </span>
        </p>
        {provider?.fallback && <p className="warn-text help">{provider.fallback}</p>}
        <label className="field">
          <span>CPU threads</span>
          <input
            type="number"
            min={0}
            max={256}
            aria-label="CPU threads (0: automatic)"
            value={threads ?? String(settings.threads)}
            onChange={(e) => setThreads(e.target.value)}
            onBlur={() => {
              const n = Number(threads)
              if (threads !== null && Number.isInteger(n) && n >= 0 && n <= 256 && n !== settings.threads) void save({ threads: n })
              setThreads(null)
            }}
          />
        </label>
        <label className="field">
          <span>GPU device</span>
          <select aria-label="GPU device index" value={settings.deviceId} onChange={(e) => void save({ deviceId: Number(e.target.value) })}>
            {Array.from({ length: LIMITS.maxDeviceId + 1 }, (_, i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </label>
      </fieldset>

      <TeachersSection />
      <ImportTeacher />
      <fieldset>
        <legend>Self-training</legend>
        <label className="field">
          <span>Head</span>
          <select aria-label="Head" value={settings.head} onChange={(e) => void save({ head: e.target.value as HeadKind })}>
            {HEAD_KINDS.map((h) => (
              <option key={h} value={h}>
                {HEAD_TEXT[h].title}
              </option>
            ))}
          </select>
        </label>
        <p className="muted help" data-testid="head-help">{HEAD_TEXT[settings.head].help}</p>
        <label className="field">
          <span>Strategy</span>
          <select aria-label="Pseudo-label strategy" value={settings.strategy} onChange={(e) => void save({ strategy: e.target.value as StrategyName, strategyParam: null })}>
            {STRATEGY_NAMES.map((s) => (
              <option key={s} value={s}>
                {STRATEGY_TEXT[s].title}
              </option>
            ))}
          </select>
        </label>
        <p className="muted help">{strategy.help}</p>
        <label className="field">
          <span>{strategy.param}</span>
          <span className="row">
            <input
              type="range"
              min={0}
              max={1}
              step={0.01}
              aria-label={`${strategy.param} (0 to 1)`}
              value={param}
              onChange={(e) => setDraftParam(Number(e.target.value))}
            />
            <output className="num">{param.toFixed(2)}</output>
            {settings.strategyParam !== null && (
              <button type="button" className="link" onClick={() => void save({ strategyParam: null })}>
                Default ({strategy.defaultParam})
              </button>
            )}
          </span>
        </label>
        <label className="field">
          <span>Augmented views</span>
          <select aria-label="Augmented views per image" value={settings.views} onChange={(e) => void save({ views: Number(e.target.value) })}>
            {Array.from({ length: MAX_VIEWS + 1 }, (_, k) => (
              <option key={k} value={k}>
                {k === 0 ? 'None' : `${k} per image`}
              </option>
            ))}
          </select>
        </label>
        <p className="muted help">Flipped, cropped and recoloured copies the teacher embeds too; each costs one more embedding per image.</p>
        <label className="field">
          <span>Average views</span>
          <input type="checkbox" aria-label="Score each image on the mean of its views" disabled={settings.views === 0} checked={settings.testTimeViews} onChange={(e) => void save({ testTimeViews: e.target.checked })} />
        </label>
        <label className="field">
          <span>Noisy student</span>
          <input type="checkbox" aria-label="The head also learns from the views, with dropout" disabled={settings.views === 0} checked={settings.noisyStudent} onChange={(e) => void save({ noisyStudent: e.target.checked })} />
        </label>
      </fieldset>

      <ClassPrompts />
      <fieldset>
        <legend>Appearance</legend>
        <label className="field">
          <span>Theme</span>
          <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
            <option value="system">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </fieldset>

      <p className={error ? 'error-text' : 'muted help'} role="status" aria-live="polite" data-testid="settings-note">
        {error ?? note ?? 'Changes are saved at once.'}
      </p>
    </div>
  )
}

import { useState } from 'react'
import { LIMITS } from '../../../preload/vocabulary'
import { useSettings } from '../../stores/settings'
import { useTeacher } from '../../stores/teacher'
import { useTextAligned } from '../ZeroShotHint'

/**
 * Classes by name, shown only for a text-aligned teacher (CLIP, SigLIP, MobileCLIP): the prompt
 * templates the class names are embedded with (one per line, `{}` the name; their embeddings are
 * averaged), and whether labelled rounds pull the head toward the names.
 */
export function ClassPrompts() {
  const textAligned = useTextAligned()
  const settings = useTeacher((s) => s.settings)
  const save = useSettings((s) => s.save)
  // Typed freely; saved when the field is left and every line holds {}.
  const [draft, setDraft] = useState<string | null>(null)
  if (!textAligned || !settings) return null
  const lines = (draft ?? (settings.prompts ?? []).join('\n'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const bad = lines.find((l) => !l.includes('{}'))
  const tooMany = lines.length > LIMITS.maxPrompts
  return (
    <fieldset data-testid="class-prompts">
      <legend>Classes by name</legend>
      <label className="field">
        <span>Prompts</span>
        <textarea
          aria-label="Prompt templates, one per line; {} is the class name"
          rows={3}
          placeholder="The teacher's own (a photo of a {}.)"
          value={draft ?? (settings.prompts ?? []).join('\n')}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => {
            if (draft === null || bad || tooMany) return
            void save({ prompts: lines.length ? lines : null }).then(() => setDraft(null))
          }}
        />
      </label>
      <p className={bad || tooMany ? 'error-text help' : 'muted help'}>
        {bad ? `“${bad}” needs {} where the class name goes` : tooMany ? `at most ${LIMITS.maxPrompts} prompts` : 'One per line, {} the class name; empty keeps the teacher’s own. With no label, a round proposes from the names alone.'}
      </p>
      <label className="field">
        <span>Text prior</span>
        <input type="checkbox" aria-label="Pull the head toward the class names" checked={settings.textPrior} onChange={(e) => void save({ textPrior: e.target.checked })} />
      </label>
      <p className="muted help">With labels, the head is pulled toward each class name’s direction; the pull fades as a class gets labels.</p>
    </fieldset>
  )
}

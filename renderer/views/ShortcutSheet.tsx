import { useUi } from '../stores/ui'
import { Dialog } from './Dialog'

/**
 * Every keyboard shortcut, by where it works. One list: when a view gains a key, add it here.
 * (The keys themselves are bound in keymap.ts (anywhere), decisions.ts (1-9, 0, a, x, c), grid/keys.ts,
 * viewer/Viewer.tsx, review/ReviewView.tsx, map/MapView.tsx, map/MainTabs.tsx and ClassPicker.tsx.)
 */
export const SHORTCUTS: { area: string; keys: [string, string][] }[] = [
  {
    area: 'Anywhere',
    keys: [
      ['?', 'this sheet'],
      ['Ctrl+,', 'settings'],
      ['Ctrl+Z', 'undo the last label change'],
      ['Ctrl+Shift+Z', 'redo'],
      ['Tab / Shift+Tab', 'move between controls'],
      ['Esc', 'close the open dialog, viewer or queue'],
    ],
  },
  {
    area: 'Grid',
    keys: [
      ['← → ↑ ↓', 'move between images'],
      ['Shift+arrows', 'extend the selection'],
      ['Space', 'select or deselect the image'],
      ['Ctrl+A', 'select every image shown'],
      ['Esc', 'clear the selection'],
      ['Enter', 'open the image in the viewer'],
      ['1–9', 'label the image (or the selection) with one of the first nine classes'],
      ['c', 'pick any class by name (the class picker), however many there are'],
      ['0', 'clear its label'],
      ['a / x', 'accept / reject its proposal'],
      ['m', 'more like this'],
      ['Shift+F10', 'the image’s menu'],
      ['Click', 'open (select one while a selection exists)'],
      ['Shift+click, Ctrl+click, drag', 'select a range, add one, a rubber band'],
    ],
  },
  {
    area: 'Viewer',
    keys: [
      ['→ or Space', 'next image'],
      ['←', 'previous image'],
      ['1–9, 0, a, x', 'decide, then show the next image'],
      ['c', 'pick any class by name, then show the next image'],
      ['Backspace', 'undo and go back one image'],
      ['+ / −, wheel', 'zoom in / out (drag to pan)'],
      ['f or double-click', 'fit / 100%'],
      ['Ctrl+0', 'fit to the window'],
      ['m', 'more like this'],
      ['Esc', 'close'],
    ],
  },
  {
    area: 'Review and spot-check queue',
    keys: [
      ['a', 'accept the proposal'],
      ['x', 'reject it'],
      ['1–9', 'it is class 1–9 (the first nine)'],
      ['c', 'it is another class: pick it by name'],
      ['Space or →', 'skip'],
      ['←', 'back one'],
      ['Backspace', 'undo the last decision and go back'],
      ['Esc', 'close the queue'],
    ],
  },
  {
    area: 'Possible mistakes (Classes panel)',
    keys: [
      ['k', 'keep the label: checked, not flagged again until it changes'],
      ['f', 'fix it to the suggested class'],
      ['1–9', 'it is class 1–9 (the first nine)'],
      ['c', 'it is another class: pick it by name'],
      ['Space or →', 'skip'],
      ['Backspace', 'undo the last decision and go back'],
      ['Esc', 'close (cancels a check still running)'],
    ],
  },
  {
    area: 'Map',
    keys: [
      ['← → ↑ ↓', 'pan'],
      ['+ / −', 'zoom in / out'],
      ['Home', 'reset the view'],
      ['l', 'lasso mode (or Shift+drag)'],
      ['1–9, 0', 'label the lassoed images with class 1–9, clear them'],
      ['c', 'label the lassoed images with any class, picked by name'],
      ['Esc', 'deselect'],
      ['← → on the tabs', 'switch between Grid and Map'],
    ],
  },
  {
    area: 'Class picker',
    keys: [
      ['c', 'open it, wherever 1–9 label: grid, viewer, queue, map'],
      ['Letters', 'filter the classes: start of the name, of a word, anywhere, or in order'],
      ['↑ ↓', 'choose a class (PageUp / PageDown: eight at a time)'],
      ['Enter', 'apply it to the image, selection or lasso'],
      ['Esc', 'close without labelling'],
    ],
  },
]

/** The shortcut sheet, opened by ? anywhere outside a text field (keymap.ts). */
export function ShortcutSheet() {
  const open = useUi((s) => s.shortcutsOpen)
  const openShortcuts = useUi((s) => s.openShortcuts)
  if (!open) return null
  return (
    // ? again closes the sheet it opened.
    <Dialog title="Keyboard shortcuts" onClose={() => openShortcuts(false)} className="shortcut-sheet" testId="shortcut-sheet" closeKeys={['?']}>
      <div className="shortcut-areas">
        {SHORTCUTS.map((group) => (
          <section key={group.area} aria-label={group.area}>
            <h3>{group.area}</h3>
            <dl>
              {group.keys.map(([key, what]) => (
                <div key={key + what} className="shortcut">
                  <dt>
                    <kbd>{key}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  )
}

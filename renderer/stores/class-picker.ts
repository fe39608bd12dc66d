import { create } from 'zustand'
import type { ClassInfo } from '../../preload/contract'
import { useLabels } from './labels'
import { notify } from './notices'

/**
 * The quick class picker (views/ClassPicker.tsx): one at a time, opened by the `c` key wherever a
 * digit labels (grid, viewer, review queue, map lasso) for the same target the digit would act on.
 * It reaches every class, however many: the digits stop at nine.
 */
export interface PickRequest {
  /** What picking does, said in the picker's title ("Label 3 selected images"). */
  title: string
  /** Applies the picked class to the target captured when the picker opened. */
  apply(cls: ClassInfo): void
  /** Where the keyboard focus was, and goes back to when the picker closes. */
  returnFocus: HTMLElement | null
}

interface ClassPickerState {
  request: PickRequest | null
  close(): void
}

export const useClassPicker = create<ClassPickerState>((set) => ({
  request: null,
  close: () => set({ request: null }),
}))

/** Opens the picker for `apply`; with no class yet a notice says where to create one. */
export function pickClass(title: string, apply: (cls: ClassInfo) => void): void {
  if (useLabels.getState().classes.length === 0) {
    notify('No classes yet: create them in the Classes panel')
    return
  }
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null
  useClassPicker.setState({ request: { title, apply, returnFocus } })
}

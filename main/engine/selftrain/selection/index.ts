import { AdaptiveThreshold } from './adaptive'
import { Agreement } from './agreement'
import { ClassBalancedTopK } from './balanced'
import { Ensemble } from './ensemble'
import { GlobalThreshold } from './threshold'
import { STRATEGIES, type StrategyName } from '../../../../preload/vocabulary'
import type { SelectionStrategy } from './types'

export type { Selection, SelectionInput, SelectionStrategy } from './types'
export { AdaptiveThreshold, Agreement, ClassBalancedTopK, Ensemble, GlobalThreshold }

/** The strategy of that name with its knob (the vocabulary's default when unset). */
export function makeStrategy(name: StrategyName, param: number = STRATEGIES[name].defaultParam): SelectionStrategy {
  switch (name) {
    case 'threshold':
      return new GlobalThreshold(param)
    case 'adaptive':
      return new AdaptiveThreshold(param)
    case 'balanced':
      return new ClassBalancedTopK(param)
    case 'agreement':
      return new Agreement(param)
    case 'ensemble':
      return new Ensemble(param)
  }
}

import { AdaptiveThreshold } from './adaptive'
import { Agreement } from './agreement'
import { ClassBalancedTopK } from './balanced'
import { Ensemble } from './ensemble'
import { GlobalThreshold } from './threshold'
import type { SelectionStrategy } from './types'

export type { Selection, SelectionInput, SelectionStrategy } from './types'
export { AdaptiveThreshold, Agreement, ClassBalancedTopK, Ensemble, GlobalThreshold }

export type StrategyName = 'threshold' | 'adaptive' | 'balanced' | 'agreement' | 'ensemble'
export const STRATEGIES: StrategyName[] = ['threshold', 'adaptive', 'balanced', 'agreement', 'ensemble']

export function makeStrategy(name: StrategyName, param?: number): SelectionStrategy {
  switch (name) {
    case 'threshold':
      return new GlobalThreshold(param ?? 0.9)
    case 'adaptive':
      return new AdaptiveThreshold(param ?? 0)
    case 'balanced':
      return new ClassBalancedTopK(param ?? 1)
    case 'agreement':
      return new Agreement(param ?? 1)
    case 'ensemble':
      return new Ensemble(param ?? 1)
  }
}

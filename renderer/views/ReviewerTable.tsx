import type { AuditReport } from '../../preload/contract'
import { formatPercent } from '../format'

/**
 * With more than one reviewer (one token each on the web host): each one's decisions, and for each
 * pair who judged the same images, Cohen's kappa over their latest judgements.
 */
export function ReviewerTable({ reviewers, agreement }: Pick<AuditReport, 'reviewers' | 'agreement'>) {
  return (
    <>
      <table className="rounds-table" data-testid="reviewer-table" aria-label="Decisions per reviewer">
        <thead>
          <tr>
            <th>Reviewer</th>
            <th title="Labels given by hand">Seed</th>
            <th title="Proposals accepted">Acc.</th>
            <th title="Proposals rejected">Rej.</th>
            <th title="Labels corrected to another class">Fixed</th>
          </tr>
        </thead>
        <tbody>
          {reviewers.map((r) => (
            <tr key={r.actor}>
              <td>{r.actor}</td>
              <td>{r.seeds}</td>
              <td>{r.accepted}</td>
              <td>{r.rejected}</td>
              <td>{r.relabelled}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {agreement.length > 0 && (
        <table className="rounds-table" data-testid="agreement-table" aria-label="Agreement between reviewers">
          <thead>
            <tr>
              <th>Reviewers</th>
              <th title="Images both judged (latest judgement each)">Shared</th>
              <th title="Share of the shared images judged alike">Agree</th>
              <th title="Cohen's kappa: agreement beyond chance (1 perfect, 0 chance)">κ</th>
            </tr>
          </thead>
          <tbody>
            {agreement.map((p) => (
              <tr key={`${p.a}\u0000${p.b}`}>
                <td>
                  {p.a} · {p.b}
                </td>
                <td>{p.shared}</td>
                <td>{formatPercent(p.agreed / p.shared)}</td>
                <td>{p.kappa === null ? '–' : p.kappa.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

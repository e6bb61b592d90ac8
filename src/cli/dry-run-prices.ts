import { getModel, type ModelCatalog } from '../gemini/catalog';
import { formatUsd } from './output';

/** A dry run's totals at both prices: interactive, and economy mode's Batch API price. */
export interface BothPrices {
  /** Which one this batch pays. */
  mode: 'interactive' | 'economy';
  interactive: { expectedUsd: number; ceilingUsd: number };
  economy: { expectedUsd: number; ceilingUsd: number; batchPriceFactor: number };
}

export function bothPrices(
  catalog: ModelCatalog,
  model: string,
  totals: { expectedUsd: number; ceilingUsd: number },
  economy: boolean,
): BothPrices {
  const factor = getModel(catalog, model).batchPriceFactor;
  return {
    mode: economy ? 'economy' : 'interactive',
    interactive: totals,
    economy: {
      expectedUsd: totals.expectedUsd * factor,
      ceilingUsd: totals.ceilingUsd * factor,
      batchPriceFactor: factor,
    },
  };
}

/** One line a person reads: what each mode would cost, and which one this batch uses. */
export function bothPricesLine(prices: BothPrices): string {
  const { interactive, economy } = prices;
  const share = `${Math.round(economy.batchPriceFactor * 100)} %`;
  const i = `interactive ${formatUsd(interactive.expectedUsd)} (ceiling ${formatUsd(interactive.ceilingUsd)})`;
  const e = `economy ${formatUsd(economy.expectedUsd)} (ceiling ${formatUsd(economy.ceilingUsd)}; Batch API at ${share}, answered within 24 h)`;
  return prices.mode === 'economy'
    ? `Prices: ${e} ← this batch (--economy); ${i}.`
    : `Prices: ${i} ← this batch; ${e} with --economy.`;
}

import os from 'node:os';
import { buildBatchRequest, type BatchCliOptions } from '../../src/cli/batch-request';
import { bothPrices, bothPricesLine } from '../../src/cli/dry-run-prices';
import { CliError } from '../../src/cli/exit-codes';
import { readEnv } from '../../src/config/env';
import { loadCatalog } from '../../src/gemini/catalog';
import path from 'node:path';

const samples = path.resolve(__dirname, '..', '..', 'samples');
const catalog = loadCatalog();

function request(extra: Partial<BatchCliOptions>) {
  const opts: BatchCliOptions = {
    include: [],
    exclude: [],
    list: [],
    param: [],
    templatesDir: [],
    output: os.tmpdir(),
    ...extra,
  };
  return buildBatchRequest([samples], opts, { env: readEnv({}), file: {} }, catalog, ['default']);
}

describe('--economy on the command line', () => {
  test('sets economy mode (and its poll interval) on the batch; without it, the options and the batch id stay as they were', async () => {
    const plain = await request({});
    expect(plain.input.options).not.toHaveProperty('economy');
    expect(plain.input.options).not.toHaveProperty('economyTuning');
    const economy = await request({ economy: true, economyPoll: '5m' });
    expect(economy.input.options).toMatchObject({
      economy: true,
      economyTuning: { gatherSeconds: 300, firstPollSeconds: 300 },
    });
    // A different batch: running the same folder at the other price is not "the same command again".
    expect(economy.input.batchId).not.toBe(plain.input.batchId);
  });

  test('--economy-poll alone, or an unreadable one, is refused with what to do (exit 2)', async () => {
    await expect(request({ economyPoll: '1m' })).rejects.toThrow(
      /--economy-poll applies to economy mode only: add --economy/,
    );
    await expect(request({ economy: true, economyPoll: 'soon' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--economy-poll must be a duration/),
    });
    await expect(request({ economyPoll: '1m' })).rejects.toBeInstanceOf(CliError);
  });

  test('the dry run prices both ways, at the model’s batch price factor', () => {
    const prices = bothPrices(catalog, 'gemini-3.8-flash', { expectedUsd: 1, ceilingUsd: 4 }, false);
    expect(prices.economy).toEqual({ expectedUsd: 0.5, ceilingUsd: 2, batchPriceFactor: 0.5 });
    expect(bothPricesLine(prices)).toMatch(
      /^Prices: interactive \$1\.00.*← this batch; economy \$0\.50.*at 50 %.*with --economy\.$/,
    );
    expect(bothPricesLine({ ...prices, mode: 'economy' })).toMatch(
      /^Prices: economy \$0\.50 .*← this batch \(--economy\)/,
    );
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { StoredReport } from '../../src/activities/report-update';
import { batchDir } from '../../src/activities/batch';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/port';
import { videoWorkflowId } from '../../src/workflows/ids';
import { batchInput, projectRoot, samplesDir, tempDir, uniqueId, useWorkerRig, waitFor } from '../support/harness';

/** Screenshots for people to look at; the folder is git-ignored. */
const shots = path.join(projectRoot, 'test-artifacts', 'web-ui');

/**
 * The product's third way of use, as a person meets it: the real Temporal Web UI of a dev server
 * in a real Chromium (driven by playwright-core), a real worker, the real SDK against the
 * stand-in. A video Gemini refused is found failed with its reason, its cause is removed, Reset
 * is clicked, and its lesson plan and the batch report follow.
 */
describe('the Temporal Web UI', () => {
  let server: DevServer | undefined;
  let uiUrl = '';
  let browser: Browser | undefined;
  let dataDir = '';

  // A server of its own with the UI on (the suite's shared one is headless): its lists show only this batch.
  beforeAll(async () => {
    if (!process.env.LESSON_FORGE_CHROMIUM) throw new Error(process.env.LESSON_FORGE_CHROMIUM_MISSING);
    dataDir = tempDir('web-ui-server');
    server = await startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: path.join(dataDir, 'db'),
    });
    uiUrl = server.uiUrl!;
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
    browser = await chromium.launch({
      executablePath: process.env.LESSON_FORGE_CHROMIUM,
      // Chromium refuses its sandbox to root (CI runs as root); containers often have a small /dev/shm.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'],
    });
    fs.mkdirSync(shots, { recursive: true });
  });
  const rig = useWorkerRig('web-ui', { processingMs: 50 });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, name), fullPage: true });

  test('a refused video is shown failed with its reason; Reset from the page writes its plan and updates the report', async () => {
    const videos = tempDir('videos');
    for (const name of ['lecture-1.mp4', 'lecture-2-refused.mp4', 'lecture-3.mp4'])
      fs.copyFileSync(path.join(samplesDir, 'color-theory-intro.mp4'), path.join(videos, name));
    const output = tempDir('out');
    const batchId = uniqueId('web-ui');
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'refused' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const summary = await rig.runBatch(batchInput(batchId, [videos], output, { label: 'videos' }));
    expect(summary).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    const failedVideoId = videoWorkflowId(batchId, summary.failures[0].key);

    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      // The list: the video is red (the UI capitalises statuses with CSS), and the status count a
      // person clicks filters the list down to it.
      await page.goto(`${uiUrl}/namespaces/default/workflows`);
      const failedRow = page.getByRole('row').filter({ hasText: failedVideoId });
      await failedRow.getByText('Failed', { exact: true }).waitFor({ timeout: 30_000 });
      await page.getByText('1 Failed', { exact: true }).waitFor();
      await shoot(page, '1-list.png');
      await page.getByText('1 Failed', { exact: true }).click();
      await page.getByText('ExecutionStatus = Failed').waitFor();
      await waitFor(async () => (await page.getByRole('row').count()) === 2, 10_000, 'the failed filter');
      await expect(page.getByRole('row').nth(1).innerText()).resolves.toContain(failedVideoId);
      await shoot(page, '2-list-failed.png');

      // The batch: completed, its summary listing the failed video with the reason.
      await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(batchId)}`);
      await page.getByText('GeminiContentBlocked').first().waitFor();
      const reasonInSummary = page.getByText(/withheld \(SAFETY\)/).first();
      await reasonInSummary.waitFor();
      await reasonInSummary.scrollIntoViewIfNeeded();
      await shoot(page, '3-batch.png');

      // The video, opened from the filtered list: failed, with its classified type and what to do.
      await page.goBack();
      await page.getByRole('link', { name: failedVideoId }).first().click();
      await page.getByRole('button', { name: 'Reset', exact: true }).waitFor();
      await page.getByText('Failed', { exact: true }).first().waitFor();
      await page
        .getByText(/withheld \(SAFETY\).*Reset it/)
        .first()
        .waitFor();
      await expect(
        page
          .getByText(/GeminiContentBlocked: Gemini refused/)
          .first()
          .isVisible(),
      ).resolves.toBe(true);
      await shoot(page, '4-failed-video.png');

      // The cause goes away (a person would change the template, the model, or the video), then Reset.
      rig.standin.clearFaults();
      const firstRun = (await rig.client.workflow.getHandle(failedVideoId).describe()).runId;
      await page.getByRole('button', { name: 'Reset', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('workflow-reset-event-id-select-button').click();
      await page
        .getByRole('option', { name: /WorkflowTaskCompleted/ })
        .first()
        .click();
      await dialog.getByPlaceholder('Enter a reason').fill('Safety filter adjusted; run it again');
      await shoot(page, '5-reset-dialog.png');
      await dialog.getByTestId('confirm-modal-button').click();
      // The page says so and links the new run, which a person follows.
      await page.getByText('This Workflow has been reset').waitFor();
      await page.getByRole('link', { name: 'here', exact: true }).click();

      await waitFor(
        async () => {
          const latest = await rig.client.workflow.getHandle(failedVideoId).describe();
          return latest.runId !== firstRun && latest.status.name === 'COMPLETED';
        },
        60_000,
        'the reset video to complete',
      );
      await page.reload();
      await page.getByText('Completed', { exact: true }).first().waitFor();
      await page
        .getByText(/comprehensive_lesson\/lecture-2-refused\.md/)
        .first()
        .waitFor();
      await shoot(page, '6-video-after-reset.png');
      await page.goto(`${uiUrl}/namespaces/default/workflows`);
      await failedRow.getByText('Completed', { exact: true }).first().waitFor();
      await shoot(page, '7-list-after-reset.png');
    } finally {
      await page.close();
    }

    // The lesson plan is written, and the batch report says so: every video succeeded, once.
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lecture-2-refused.md'))).toBe(true);
    const report = JSON.parse(
      fs.readFileSync(path.join(batchDir(output, batchId), 'report.json'), 'utf8'),
    ) as StoredReport;
    expect(report.summary).toMatchObject({ total: 3, succeeded: 3, failed: 0, failures: [] });
    expect(fs.readFileSync(path.join(batchDir(output, batchId), 'report.md'), 'utf8')).toContain(
      '3 videos: 3 succeeded, 0 failed, 0 skipped',
    );
  });
});

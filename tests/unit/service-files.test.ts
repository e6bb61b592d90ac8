import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serviceContext } from '../../src/cli/commands/serve';
import { launchdPlist, systemdUnit } from '../../src/service/unit-files';

describe('service files for lesson-forge serve', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-service-'));
  fs.writeFileSync(
    path.join(cwd, 'lesson-forge.config.json'),
    JSON.stringify({ keys: [{ name: 'lab-a', env: 'LAB_A_KEY' }] }),
  );
  const env = {
    PATH: '/opt/tools/bin:relative/bin',
    TEMPORAL_ADDRESS: 'temporal.example.org:7233',
    LAB_A_KEY: 'secret-value-0123456789',
    GEMINI_API_KEY: 'another-secret-0123456789',
    LESSON_FORGE_HOME: path.join(cwd, 'home'),
    // A folder's config is used only when named (README "Security"); the unit names it absolutely.
    LESSON_FORGE_CONFIG: './lesson-forge.config.json',
  };
  const ctx = serviceContext('/home/me/lf.env', env, cwd);

  test('the systemd unit runs serve with this node, in this folder, with the settings but not the secrets', () => {
    const unit = systemdUnit(ctx);
    expect(unit).toContain(
      `ExecStart=${process.execPath} ${path.resolve(__dirname, '..', '..', 'bin', 'lesson-forge')} serve`,
    );
    expect(unit).toContain(`WorkingDirectory=${cwd}`);
    expect(unit).toContain('Environment=TEMPORAL_ADDRESS=temporal.example.org:7233');
    expect(unit).toContain(`Environment=LESSON_FORGE_CONFIG=${path.join(cwd, 'lesson-forge.config.json')}`);
    expect(unit).toContain('EnvironmentFile=-/home/me/lf.env');
    expect(unit).toMatch(/put LAB_A_KEY \(KEY=value lines\) in \/home\/me\/lf\.env/);
    expect(unit).toMatch(new RegExp(`Environment=PATH=${path.dirname(process.execPath)}:/opt/tools/bin\\n`));
    expect(unit).not.toMatch(/secret-value|another-secret/);
  });

  test('the launchd agent sources the env file, then becomes lesson-forge serve; no secrets either', () => {
    const plist = launchdPlist(ctx);
    expect(plist).toContain("set -a; [ -f '/home/me/lf.env' ] &amp;&amp; . '/home/me/lf.env'; set +a; exec");
    expect(plist).toContain('<key>TEMPORAL_ADDRESS</key>\n    <string>temporal.example.org:7233</string>');
    expect(plist).toContain(`<string>${path.join(cwd, 'home', 'logs', 'serve.log')}</string>`);
    expect(plist).not.toMatch(/secret-value|another-secret/);
  });
});

// The text of docs/settings.md, generated from the settings table by `npm run docs` (checked by
// test/bin/settings.test.ts, which also holds the README's option tables against the table).
import { flatten, shownDefault, type Setting } from './setting.ts';
import { SETTINGS } from './settings.ts';

const SECTIONS: Record<string, string> = {
  '': 'Park and process',
  broker: 'Broker (`createBroker`, broker/create-broker.ts; `broker.limits` is its `limits` option, defaults in broker/broker-limits.ts)',
  ingest: 'Ingest (`createIngest`, ingest/create-ingest.ts)',
  alerts: 'Alerts (ingest/alerts/)',
  influx: 'InfluxDB store (ingest/store/influx-*.ts; the section is absent unless `INFLUX_URL` is set)',
  screen: 'Screen server (`createScreen`, screen/server/create-screen.ts)',
  sim: 'Simulator (`createFleet`, simulators/fleet.ts)',
  tools: 'Tool commands (bin/tools.ts)',
  record: 'record',
  replay: 'replay',
  load: 'load',
  badInput: 'bad-input',
  device: 'device',
};

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function settingsMarkdown(): string {
  const out = [
    '# Settings',
    '',
    '<!-- Generated from the settings table (bin/config/settings.ts) by `npm run docs`; test/bin/settings.test.ts fails when it is stale. -->',
    '',
    'Every setting of ParkPulse, as `parkpulse --help` lists it. Each is read once at start, by the',
    'CLI (bin/config/load-config.ts): a command-line flag wins over its environment variable, which',
    'wins over the default. The config key is where the value lands in the frozen config; it is',
    'named like the option of the module it feeds, so bin/services.ts passes whole sub-objects on.',
    'A default a module declares comes from that module\'s `DEFAULT_*` object. Paths are resolved',
    'against the working folder; `<data-dir>` is `--data-dir`.',
  ];
  const groups = new Map<string, Array<{ key: string; setting: Setting }>>();
  for (const row of flatten(SETTINGS)) {
    const section = row.key.includes('.') ? row.key.split('.')[0]! : '';
    if (!groups.has(section)) groups.set(section, []);
    groups.get(section)!.push(row);
  }
  for (const [section, rows] of groups) {
    out.push('', `## ${SECTIONS[section] ?? section}`, '', '| flag | environment | default | config key | meaning |', '| --- | --- | --- | --- | --- |');
    for (const { key, setting } of rows) {
      const shown = shownDefault(setting);
      const meaning = `${setting.help}${setting.secret ? ' (secret: never logged)' : ''}`;
      out.push(`| \`--${setting.flag}\` | \`${setting.env}\` | ${shown === '' ? '' : /\s/.test(shown) ? cell(shown) : `\`${cell(shown)}\``} | \`${key}\` | ${cell(meaning)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

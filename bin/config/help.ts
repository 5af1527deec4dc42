// The text of `parkpulse --help`, generated from the command list and the settings table.
import { COMMANDS } from './commands.ts';
import { flatten, shownDefault } from './setting.ts';
import { SETTINGS } from './settings.ts';

export function helpText(program = 'parkpulse'): string {
  const lines = [
    `Usage: ${program} [command] [args] [options]        (npm start -- [command] [args] [options])`,
    `       ${program} device add|rotate|revoke <id> [--kind camera|node5g|meter]   |   ${program} device list`,
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(10)} ${spec.help}`),
    '',
    'Examples:',
    '  npm start -- record --out var/recordings/park.ndjson --duration 3600',
    '  npm start -- replay var/recordings --speed 60 --data-dir var/replay',
    '  npm start -- scenario simulators/scenarios/night-intrusion.yaml',
    '  npm start -- load --load-devices 2000 --ramp 200 --rate 1 --payload-bytes 200 --duration 60',
    '  npm start -- bad-input',
    '',
    'Options (flag, environment variable, default):',
  ];
  for (const { setting } of flatten(SETTINGS)) {
    const shown = shownDefault(setting);
    lines.push(`  --${setting.flag.padEnd(27)} ${setting.env.padEnd(28)} ${shown === '' ? '' : `[${shown}]`}`);
    lines.push(`      ${setting.help}${setting.secret ? ' (secret: never logged)' : ''}`);
  }
  lines.push('  -h, --help                    show this help');
  return lines.join('\n');
}

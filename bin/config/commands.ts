// The command-line grammar: the commands, what each takes after it, and which are tool commands
// (they run one job and exit; bin/tools.ts implements exactly these). `--help` is built from this
// list and the settings table (help.ts).

interface CommandSpec {
  /** One line for --help. */
  help: string;
  /** A tool command: runs one job with progress on stderr and a summary on stdout, then exits. */
  tool?: true;
  /** Positional arguments after the command: how many it takes, and what they are. */
  takes?: { min: number; max: number; what: string };
}

export const COMMANDS = {
  all: { help: 'broker, ingest, screen and simulator in one process (default)' },
  broker: { help: 'the MQTT broker (TCP and WebSocket listeners)' },
  ingest: { help: 'validates device messages, writes the store, publishes live park state' },
  screen: { help: 'HTTP + WebSocket server for the big screen' },
  sim: { help: 'fleet simulator: every device of the park model as its own MQTT client' },
  provision: { help: 'create the device/service registry and secrets (idempotent); run by `all` automatically' },
  record: { tool: true, help: 'record every device message of the park to NDJSON, rotated (--out, --rotate-mb, --duration)' },
  replay: { tool: true, takes: { min: 1, max: 1000, what: 'recording file(s) or folder(s)' }, help: 'replay FILE|FOLDER... as the recorded devices (--speed 1|60|max), with a progress bar' },
  scenario: { tool: true, takes: { min: 1, max: 1, what: 'one scenario file' }, help: 'run a fault scenario FILE (YAML/JSON, see simulators/scenarios/) against the simulated fleet' },
  load: { tool: true, help: 'load test: --load-devices N synthetic meters, own connections, --ramp, --rate, --payload-bytes' },
  'bad-input': { tool: true, help: 'send every kind of bad input and check that each is rejected and counted by reason' },
  operator: { takes: { min: 1, max: 2, what: 'add|passwd|remove <name>, or list' }, help: 'console operators: `operator add|passwd <name>` (password from stdin or OPERATOR_PASSWORD), `operator remove <name>`, `operator list`' },
  audit: { takes: { min: 1, max: 1, what: 'verify' }, help: '`audit verify`: check the hash chain of the alert audit trail (exit 1 if broken)' },
  device: { takes: { min: 1, max: 2, what: 'add|rotate|revoke <id>, or list' }, help: 'device accounts: `device add <id> --kind <kind>`, `device rotate <id>`, `device revoke <id>`, `device list`' },
  aggregator: { help: 'sharded park on a NATS cluster: merges the ingest shards\' live state and alerts into the park\'s live and alerts topics' },
  'cluster-config': { takes: { min: 1, max: 1, what: 'one cluster description file (JSON)' }, help: 'write the NATS cluster configuration FILE describes (accounts, users, permissions, shard mappings) to --nats-config-dir' },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof COMMANDS;

/** The commands bin/tools.ts implements, one function each. */
export type ToolCommand = { [C in Command]: (typeof COMMANDS)[C] extends { tool: true } ? C : never }[Command];

export const COMMAND_NAMES = Object.keys(COMMANDS) as [Command, ...Command[]];

export const isCommand = (word: string): word is Command => Object.hasOwn(COMMANDS, word);

export function isToolCommand(command: string): command is ToolCommand {
  return isCommand(command) && (COMMANDS[command] as CommandSpec).tool === true;
}

export function positionals(command: Command): CommandSpec['takes'] {
  return (COMMANDS[command] as CommandSpec).takes;
}

/** What `parkpulse device <action>` does (see shared/device-accounts.ts). */
export const DEVICE_ACTIONS = ['add', 'rotate', 'revoke', 'list'] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];

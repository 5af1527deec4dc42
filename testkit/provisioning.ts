// A park provisioned into a folder laid out as the CLI's `--data-dir` is (registry.json and
// secrets/, bin/config/load-config.ts), so the real programs can be started on that folder, or a
// broker core given its registry. Shared by the tests and the benchmarks, which each wrote these
// paths by hand; provisionLoadPark adds N synthetic load meters first.
import { dataDirLayout } from '../bin/config/load-config.ts';
import { buildLoadModel, loadDevicesOf } from '../shared/load-model.ts';
import { loadParkModel, type ParkModel } from '../shared/park-model.ts';
import { provision, serviceAccountId, type ProvisionOptions, type Provisioned } from '../shared/registry.ts';

export interface LoadPark {
  /** `base` plus the load meters (`ld-00001`, ...). */
  model: ParkModel;
  provisioned: Provisioned;
  /** The load meters' ids, in order. */
  ids: string[];
  /** The ingest's service account, as a subscriber connects with it. */
  ingest: { username: string; password: string };
}

export interface LoadParkOptions {
  /** The park the load meters are added to; default the bundled park (loadParkModel()). */
  base?: ParkModel;
  /** scrypt cost of the park's own accounts; default the production cost (tests pass TEST_SCRYPT). */
  scrypt?: ProvisionOptions['scrypt'];
}

/** Provisions `model` into `dataDir` (registry.json, secrets/); `scrypt` defaults to the production cost. */
export function provisionDataDir(dataDir: string, model: ParkModel, scrypt?: ProvisionOptions['scrypt']): Promise<Provisioned> {
  return provision({ model, ...dataDirLayout(dataDir), scrypt });
}

/** Adds `devices` load meters (1..MAX_LOAD_DEVICES) to the park and provisions it in `dataDir`. */
export async function provisionLoadPark(dataDir: string, devices: number, opts: LoadParkOptions = {}): Promise<LoadPark> {
  const model = buildLoadModel(devices, opts.base ?? loadParkModel());
  const provisioned = await provisionDataDir(dataDir, model, opts.scrypt);
  return {
    model,
    provisioned,
    ids: loadDevicesOf(model).map((d) => d.id),
    ingest: { username: serviceAccountId('ingest'), password: provisioned.serviceSecrets.ingest },
  };
}

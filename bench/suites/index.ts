// Every benchmark suite, in the order `npm run bench` runs them.
import type { BenchSuite } from '../harness.ts';
import { alertsSuite } from './alerts.ts';
import { brokerSuite } from './broker.ts';
import { brokerDurableSuite } from './broker-durable.ts';
import { influxSuite } from './influx.ts';
import { screenSuite } from './screen.ts';

export const SUITES: BenchSuite[] = [brokerSuite, screenSuite, influxSuite, brokerDurableSuite, alertsSuite];

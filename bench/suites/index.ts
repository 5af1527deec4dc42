// Every benchmark suite, in the order `npm run bench` runs them.
import type { BenchSuite } from '../harness.ts';
import { alertsSuite } from './alerts.ts';
import { authStormSuite } from './auth-storm.ts';
import { brokerSuite } from './broker.ts';
import { brokerDurableSuite } from './broker-durable.ts';
import { capacitySuite } from './capacity.ts';
import { clusterSuite } from './cluster.ts';
import { e2eSuite } from './e2e.ts';
import { faultsSuite } from './faults.ts';
import { influxSuite } from './influx.ts';
import { screenSuite } from './screen.ts';

export const SUITES: BenchSuite[] = [e2eSuite, faultsSuite, brokerSuite, capacitySuite, screenSuite, influxSuite, brokerDurableSuite, alertsSuite, authStormSuite, clusterSuite];

// The one prom-client registry of the process. Each area declares its own metrics in
// src/metrics/<area>.ts against this registry, so /metrics serves them all and tests can reset it.
import { Registry } from 'prom-client';

export const registry = new Registry();

/** Every metric name starts with this, per Prometheus conventions for an application's own series. */
export const PREFIX = 'boxfep_';

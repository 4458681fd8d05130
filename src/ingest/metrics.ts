/** The ingest stage's metrics are defined with every other metric in core/metrics.ts. */
export { DROP_REASONS, ingestMetrics, removeCameraSeries, setStateGauge, type DropReason, type IngestMetrics } from '../core/metrics';

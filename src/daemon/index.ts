/** The daemon: one process's stages started and stopped together, and configuration reloads. Barrel only. */
export { startDaemon, type Daemon } from './daemon';
export { reloadConfig } from './reload';
export { STAGES, type StartStage } from './stages';

/** The WebSocket module: the hub and its pure protocol. Barrel only. */
export { WsHub, type WsHubOptions } from './hub';
export {
  parseClientMessage,
  wants,
  TOPICS,
  DEFAULT_SUBSCRIPTION,
  type ClientMessage,
  type Subscription,
  type Topic,
} from './protocol';

/**
 * Pure: which RTP transport a camera's next FFmpeg run asks the RTSP server for. `tcp` and `udp` are fixed; `auto`
 * (the default) starts with TCP (interleaved in the RTSP connection: no lost packets, passes NAT and firewalls) and
 * falls back to UDP when the server refuses TCP (`461 Unsupported transport`, what VLC answers) or sends nothing over
 * it; a transport that delivered frames is kept for the reconnects that follow. FFmpeg's own fallback goes the other
 * way (UDP first, TCP after a UDP timeout), so the supervisor makes this choice and passes one transport per run.
 */

/** The `transport` setting of a camera. */
export type TransportSetting = 'auto' | 'tcp' | 'udp';
/** A transport FFmpeg is asked for. */
export type Transport = 'tcp' | 'udp';

/** What to do after the server refused the transport. */
export type RefusalVerdict = { retry: true; next: Transport; reason: string } | { retry: false; reason: string };

const other = (t: Transport): Transport => (t === 'tcp' ? 'udp' : 'tcp');

/** The transport choice of one camera. */
export class RtspTransportChooser {
  private current: Transport;
  private readonly refused = new Set<Transport>();
  private confirmed: Transport | undefined;

  constructor(readonly setting: TransportSetting) {
    this.current = setting === 'auto' ? 'tcp' : setting;
  }

  /** The transport of the next run (and of the running one). */
  get transport(): Transport {
    return this.current;
  }

  /** The transport that delivered frames last, if any. */
  get inUse(): Transport | undefined {
    return this.confirmed;
  }

  /** Frames arrived over the current transport: keep it. */
  streaming(): void {
    this.confirmed = this.current;
  }

  /** The server answered 461 to the current transport. */
  refusedByServer(): RefusalVerdict {
    const t = this.current;
    this.refused.add(t);
    if (this.confirmed === t) {
      this.confirmed = undefined;
    }
    const name = t.toUpperCase();
    if (this.setting !== 'auto') {
      return {
        retry: false,
        reason: `461 Unsupported transport: the RTSP server refuses RTP over ${name} (set transport: ${other(t)} or auto)`,
      };
    }
    if (this.refused.has(other(t))) {
      return { retry: false, reason: '461 Unsupported transport: the RTSP server refuses both TCP and UDP' };
    }
    this.current = other(t);
    return { retry: true, next: this.current, reason: `the RTSP server refuses RTP over ${name} (461): trying ${this.current.toUpperCase()}` };
  }

  /**
   * No frame came over the current transport within the first-frame limit. With `auto` the next run tries the other
   * transport (unless the server refused it); returns the transport switched to, or undefined when it stays.
   */
  noData(): Transport | undefined {
    // A transport that delivered frames before is kept: the silence is the camera's, not the transport's.
    if (this.setting !== 'auto' || this.confirmed !== undefined || this.refused.has(other(this.current))) {
      return undefined;
    }
    this.current = other(this.current);
    return this.current;
  }
}

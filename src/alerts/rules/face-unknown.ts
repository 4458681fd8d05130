import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { saveVotes, votesMap, vote, type FaceVotes } from './face-votes';
import { passes } from './filters';
import { prune } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** face_unknown state: face votes per track. */
export interface FaceUnknownState {
  votes: Map<number, FaceVotes>;
}

/**
 * face_unknown: a condition per track whose face was embedded in `faceVotes` frames without matching anyone, and
 * that never matched a watchlist identity.
 */
export const faceUnknown: RuleEvaluator<FaceUnknownState> = {
  type: 'face_unknown',
  defaultLabels: ['person'],
  init: () => ({ votes: new Map() }),
  saveState: (s) => ({ votes: saveVotes(s.votes) }),
  loadState: (saved) => parseState(z.object({ votes: votesMap }), saved, 'face_unknown state'),
  evaluate(rule: RuleConfig, state: FaceUnknownState, input: RuleInput) {
    prune(state.votes, input.tracks);
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      const faces = input.faces.get(t.id);
      if (faces && faces.length > 0) {
        state.votes.set(t.id, vote(state.votes.get(t.id), faces));
      }
      const v = state.votes.get(t.id);
      if (v && v.identities.size === 0 && v.unknown >= input.faceVotes) {
        conditions.push({ key: `track:${t.id}`, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};

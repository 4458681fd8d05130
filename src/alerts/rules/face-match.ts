import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { saveVotes, votesMap, vote, leader, type FaceVotes } from './face-votes';
import { passes } from './filters';
import { prune } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** face_match state: face votes per track. */
export interface FaceMatchState {
  votes: Map<number, FaceVotes>;
}

/**
 * face_match: a condition per track once `faceVotes` of its frames matched the same watchlist identity (one of
 * `identities`, by id or name, when given) within the rule's `maxDistance` when set; held while the track lives.
 */
export const faceMatch: RuleEvaluator<FaceMatchState> = {
  type: 'face_match',
  defaultLabels: ['person'],
  init: () => ({ votes: new Map() }),
  saveState: (s) => ({ votes: saveVotes(s.votes) }),
  loadState: (saved) => parseState(z.object({ votes: votesMap }), saved, 'face_match state'),
  evaluate(rule: RuleConfig, state: FaceMatchState, input: RuleInput) {
    prune(state.votes, input.tracks);
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      let faces = input.faces.get(t.id);
      if (faces && rule.maxDistance !== undefined) {
        const max = rule.maxDistance;
        // Matches looser than this rule's threshold neither vote for the identity nor count as unknown here.
        faces = faces.filter((f) => f.match === undefined || f.match.distance <= max);
      }
      if (faces && faces.length > 0) {
        state.votes.set(t.id, vote(state.votes.get(t.id), faces));
      }
      const v = state.votes.get(t.id);
      const who = v ? leader(v, input.faceVotes, rule.identities) : undefined;
      if (who) {
        conditions.push({ key: `track:${t.id}:${who.identity}`, face: who, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};

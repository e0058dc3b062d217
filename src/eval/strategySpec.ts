/**
 * strategySpec.ts: completion strategies named on the command line, so one evaluation scores several
 * side by side on the same trained model: `--variants fim,prefix,prefix+heal,prefix+heal+retrieve+rank`.
 *
 * A spec is words joined by "+": fim | prefix (the prompt; prefix if neither), heal, retrieve, rank
 * (choose model or copy by the model's likelihood), match<N> (choose copy when at least N characters
 * matched), rank<N> (rank the model's line among N copy candidates; rank = rank1), copy<N> (rank N
 * copy candidates without the model's line; copy1 = the best copy, else the model's line), mean (rank by mean log-probability per token
 * instead of the line's total). What a
 * spec does not name is off, so a spec means the same whatever the defaults become.
 */
import type { CompletionStrategy } from '../shared/protocol';

export function parseStrategy(spec: string): Required<CompletionStrategy> {
  const strategy: Required<CompletionStrategy> = {
    promptMode: 'prefix', heal: false, retrieve: false, rank: 'none', copyMinMatch: 32, copyCandidates: 1,
    lineScore: 'sum',
  };
  let modes = 0;
  let rankings = 0;
  for (const word of spec.split('+').map((w) => w.trim()).filter(Boolean)) {
    const match = /^match(\d+)$/.exec(word);
    const rankN = /^rank(\d+)$/.exec(word);
    const copyN = /^copy(\d+)$/.exec(word);
    if (word === 'fim' || word === 'prefix') {
      strategy.promptMode = word;
      modes++;
    } else if (word === 'heal') strategy.heal = true;
    else if (word === 'retrieve') strategy.retrieve = true;
    else if (word === 'mean') strategy.lineScore = 'mean';
    else if (word === 'rank') {
      strategy.rank = 'model';
      rankings++;
    } else if (copyN && Number(copyN[1]) >= 1) {
      strategy.rank = 'copy';
      strategy.copyCandidates = Number(copyN[1]);
      rankings++;
    } else if (rankN && Number(rankN[1]) >= 1) {
      strategy.rank = 'model';
      rankings++;
      strategy.copyCandidates = Number(rankN[1]);
    }
    else if (match) {
      rankings++;
      strategy.rank = 'match';
      strategy.copyMinMatch = Number(match[1]);
    } else {
      throw new Error(`unknown word "${word}" in strategy "${spec}" (fim, prefix, heal, retrieve, rank, rank<N>, copy<N>, match<N>, mean)`);
    }
  }
  if (modes > 1) throw new Error(`strategy "${spec}" names more than one prompt mode`);
  if (rankings > 1) throw new Error(`strategy "${spec}" names two ranking rules`);
  return strategy;
}

/** "a,b, c" -> ["a", "b", "c"], each checked. */
export function parseVariants(list: string): { name: string; strategy: Required<CompletionStrategy> }[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error('--variants needs at least one strategy');
  return names.map((name) => ({ name, strategy: parseStrategy(name) }));
}

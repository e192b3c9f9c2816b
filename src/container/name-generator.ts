// Generated container names, `adjective_surname` (the form Docker uses),
// from word lists written for berth: the surnames are scientists and
// engineers whose work the reader may enjoy looking up.
import { randomInt } from 'node:crypto';

const ADJECTIVES: readonly string[] = [
  'able', 'agile', 'airy', 'amber', 'ample', 'arcane', 'ardent', 'astute', 'atomic', 'balmy',
  'bashful', 'blithe', 'boring', 'bouncy', 'breezy', 'bright', 'brisk', 'bubbly', 'calm', 'candid',
  'careful', 'cheery', 'chipper', 'civil', 'cosmic', 'cozy', 'crisp', 'curious', 'dapper', 'daring',
  'deft', 'devoted', 'diligent', 'dynamic', 'earnest', 'easygoing', 'electric', 'exact', 'fearless',
  'fluent', 'fond', 'frank', 'frugal', 'genial', 'gentle', 'glad', 'gleeful', 'golden', 'graceful',
  'hardy', 'hearty', 'honest', 'humble', 'jaunty', 'jazzy', 'joyful', 'lively', 'loyal', 'lucky',
  'lunar', 'mellow', 'merry', 'mighty', 'mindful', 'nimble', 'noble', 'orbital', 'patient', 'peppy',
  'plucky', 'polite', 'prudent', 'punctual', 'quick', 'quiet', 'radiant', 'rapid', 'rational',
  'resolute', 'robust', 'rosy', 'rugged', 'sage', 'savvy', 'sincere', 'snappy', 'snug', 'solar',
  'spirited', 'spry', 'stable', 'steady', 'sturdy', 'sunny', 'swift', 'tactful', 'thoughtful',
  'tidy', 'tireless', 'valiant', 'vivid', 'warm', 'witty', 'zesty',
];

const SURNAMES: readonly string[] = [
  'abel', 'agassiz', 'agnesi', 'alferov', 'alhazen', 'alvarez', 'ampere', 'anning', 'apgar',
  'arrhenius', 'avogadro', 'babcock', 'bachman', 'backus', 'baekeland', 'baran', 'bernoulli',
  'bessemer', 'blodgett', 'boltzmann', 'boole', 'born', 'bosch', 'boyle', 'bragg', 'brahe',
  'brunel', 'bunsen', 'burbidge', 'cantor', 'cardano', 'carnot', 'cassini', 'cauchy', 'cavendish',
  'celsius', 'chadwick', 'chargaff', 'clausius', 'compton', 'conway', 'copernicus', 'coriolis',
  'coulomb', 'crick', 'dalton', 'debye', 'dedekind', 'descartes', 'diesel', 'doppler', 'doudna',
  'dyson', 'eckert', 'edgerton', 'ehrlich', 'eiffel', 'erdos', 'fahrenheit', 'fibonacci', 'fitch',
  'fleming', 'fossey', 'fourier', 'fraunhofer', 'fresnel', 'friedmann', 'fuller', 'gabor',
  'galvani', 'gamow', 'gibbs', 'gilbreth', 'godel', 'goeppert', 'goodenough', 'haber', 'hahn',
  'halley', 'hamming', 'harvey', 'heaviside', 'helmholtz', 'hennessy', 'herzberg', 'hilbert',
  'hoare', 'hooke', 'hubble', 'humboldt', 'huygens', 'ibnsina', 'jacobi', 'jansky', 'jenner',
  'joule', 'kahn', 'kay', 'kelvin', 'kernighan', 'khwarizmi', 'kirchhoff', 'klein', 'kleinrock',
  'koch', 'kolmogorov', 'kovalevskaya', 'kuiper', 'kwolek', 'lagrange', 'lamb', 'landau',
  'langmuir', 'laplace', 'lavoisier', 'leibniz', 'lemaitre', 'licklider', 'liebig', 'linnaeus',
  'lister', 'lorentz', 'lorenz', 'lyapunov', 'lyell', 'mach', 'mandelbrot', 'marconi', 'markov',
  'maury', 'metcalfe', 'michelson', 'millikan', 'minkowski', 'minsky', 'mobius', 'monod', 'moseley',
  'nakamura', 'naur', 'nernst', 'oersted', 'ohm', 'onnes', 'oppenheimer', 'ostrom', 'pauli',
  'pauling', 'pavlov', 'penrose', 'perey', 'perlis', 'planck', 'postel', 'priestley', 'purcell',
  'ramsay', 'rayleigh', 'reynolds', 'riemann', 'rivest', 'rutherford', 'sabin', 'sagan', 'salk',
  'schrodinger', 'semmelweis', 'siemens', 'snell', 'somerville', 'stallman', 'stephenson',
  'stevens', 'stokes', 'stroustrup', 'szilard', 'tarjan', 'tereshkova', 'thacker', 'thomson',
  'tombaugh', 'townes', 'tsiolkovsky', 'vandermeer', 'vesalius', 'volta', 'vonbraun', 'wallace',
  'watt', 'weber', 'wegener', 'whitworth', 'widnall', 'wiener', 'wirth', 'wozniak', 'yang',
  'yukawa', 'zuse', 'zwicky',
];

// Docker's one joke, kept: Steve Wozniak is not boring.
const SKIPPED = new Set(['boring_wozniak']);

const pick = (words: readonly string[]): string => words[randomInt(words.length)];

/**
 * A random `adjective_surname`. A retry (`retry > 0`) appends one random
 * digit, which widens the space when the plain name was already taken.
 */
export function generateName(retry: number): string {
  let name: string;
  do name = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
  while (SKIPPED.has(name));
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** One problem, with the path of the offending key (load-config.ts `ConfigProblem`). */
interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** What the cascade check reads of a group. */
interface CascadeGroup {
  readonly route?: readonly ({ readonly to: string } | { readonly default: string })[] | undefined;
  readonly cascade?: { readonly from: string; readonly to: string } | undefined;
  readonly classifier?: { readonly group: string } | undefined;
}

/**
 * A cascade belongs to a router group, and escalates from a group its rules route to, to another
 * group with deployments (not a router: the cascade does not route again).
 */
export function cascadeProblems(models: Readonly<Record<string, CascadeGroup>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = Object.keys(models);
  for (const [name, group] of Object.entries(models)) {
    const classifier = group.classifier;
    if (classifier !== undefined) {
      const path = `models.${name}.classifier`;
      if (group.route === undefined) {
        problems.push({ path, message: 'a classifier belongs to a router group (one with route rules)' });
      } else if (classifier.group !== '' && !(classifier.group in models)) {
        problems.push({
          path: `${path}.group`,
          message: `unknown model group "${classifier.group}" (known: ${groups.join(', ')})`,
        });
      } else if (models[classifier.group]?.route !== undefined) {
        problems.push({
          path: `${path}.group`,
          message: `"${classifier.group}" is a router group: the classifier is a group with deployments`,
        });
      }
    }
    const cascade = group.cascade;
    if (cascade === undefined) continue;
    const path = `models.${name}.cascade`;
    if (group.route === undefined) {
      problems.push({ path, message: 'a cascade belongs to a router group (one with route rules)' });
      continue;
    }
    for (const key of ['from', 'to'] as const) {
      const target = cascade[key];
      if (target === '') continue; // a shape problem, reported by the schema
      if (!(target in models)) {
        problems.push({
          path: `${path}.${key}`,
          message: `unknown model group "${target}" (known: ${groups.join(', ')})`,
        });
      } else if (models[target]?.route !== undefined) {
        problems.push({
          path: `${path}.${key}`,
          message: `"${target}" is a router group: a cascade names groups with deployments`,
        });
      }
    }
    if (cascade.from !== '' && cascade.from === cascade.to) {
      problems.push({ path: `${path}.to`, message: 'a cascade escalates to another group than `from`' });
    }
    const targets = group.route.map((rule) => ('to' in rule ? rule.to : rule.default));
    if (cascade.from !== '' && !targets.includes(cascade.from)) {
      problems.push({
        path: `${path}.from`,
        message: `no rule of "${name}" routes to "${cascade.from}": the cascade would never start`,
      });
    }
  }
  return problems;
}

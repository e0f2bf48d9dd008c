// Which local GGUF file an agent command loads. The operator's workloads name a model and give its source
// (`--model <name> --model-source <uri>`, see src/planner/pod-template.ts modelArgs); a person at a shell gives a
// path (`--model ./target.gguf`). A file:// source is a file on this node and is loaded in place; any other
// scheme must have been fetched to a local file first (the fetch init container), so it is refused here with
// that advice rather than treated as a path.
import { fileURLToPath } from 'node:url';

export function resolveModelPath(model: string, source: string | undefined): string {
  if (source === undefined) return model;
  if (source.startsWith('file://')) return fileURLToPath(source);
  throw new Error(
    `model ${model}: source ${source} is not a local file; fetch it first (configspec fetch) and pass its path`,
  );
}

"""What a run does: train and resume, evaluate, sample, translate, upscale, project/edit a
StyleGAN, bench, load a run, the CSV detection workflow. One module per verb; each acts on a
run directory (:mod:`genlab.runs`) through the model families (:mod:`genlab.models`) and the
tabular detector (:mod:`genlab.tabular`)."""

import genlab.models.families  # noqa: F401  (every image family's model, bound in genlab.core.registry)
import genlab.tabular.detector  # noqa: F401  (the tabular detector)
import genlab.workflows.features  # noqa: F401,E402  (classifier runs as feature extractors)

"""``genlab serve``: a run behind HTTP (FastAPI on uvicorn).

* a detector run: ``POST /v1/score`` (JSON rows or a CSV body) scores rows exactly as
  ``genlab detect`` does, concurrent requests batched into one forward pass
  (:mod:`genlab.serve.batcher`, :mod:`genlab.serve.scoring`);
* a generator run: ``GET /`` a page with latent sliders, ``GET /v1/generate`` a PNG;
* an image-to-image run: ``POST /v1/translate`` an uploaded image, a PNG back
  (:mod:`genlab.serve.images`).

:func:`genlab.serve.app.create_app` builds the app; FastAPI is an optional dependency
(``pip install genlab[serve]``), imported only by :mod:`genlab.serve.app`.
"""

"""Pure plotting functions: arrays or history in, PNG out (written atomically)."""

from genlab.plots.curves import save_curves
from genlab.plots.grids import image_grid, save_image_grid

__all__ = ["image_grid", "save_curves", "save_image_grid"]

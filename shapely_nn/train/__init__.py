"""Training: gradient checks (losses, optimizers and the fit loop arrive with the zoo)."""

from shapely_nn.train._gradcheck import (
    GradcheckError,
    GradcheckResult,
    gradcheck,
    numerical_gradient,
)

__all__ = ["GradcheckError", "GradcheckResult", "gradcheck", "numerical_gradient"]

"""The PD model's MLflow entry point ("models from code"): MLflow runs this file to rebuild the
pyfunc wrapper, which then unpickles the fitted model from its artifact (``load_context``).

Logging the wrapper as code rather than as a cloudpickled object is what MLflow 3 recommends;
the fitted ``PDModel`` itself travels as a plain pickle artifact.
"""

from mlflow.models import set_model

from workbench.tracking.registry import PDModelPyfunc

set_model(PDModelPyfunc())

"""The project as a whole: locked dependencies, workflows, and the floors its imports keep."""

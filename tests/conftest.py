import sys
from pathlib import Path

# The program imports `components` as the Pulumi CLI runs it: from the project directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

"""nbgrader configuration of the colorlib course (run nbgrader from this folder).

Layout, relative to this folder (nbgrader's standard one):

- source/<assignment>/<notebook>.ipynb: the teacher's versions, with solutions and
  hidden tests (built by build_course.py);
- release/<assignment>/: the student versions (``nbgrader generate_assignment``);
- submitted/<student>/<assignment>/: what students hand in (``nbgrader collect``, or
  copied there by hand);
- autograded/<student>/<assignment>/: executed and scored (``nbgrader autograde``);
- feedback/<student>/<assignment>/: HTML reports (``nbgrader generate_feedback``);
- gradebook.db: the SQLite gradebook (``nbgrader export`` writes grades.csv from it).
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader reads this file)

c.CourseDirectory.course_id = "colorlib"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Per-cell execution limit when autograding. The longest cell is the training of
# 03_your_own_loss: 6-45 s measured on this project's 2-core machine, quiet or busy.
# A student's own loss or network may be slower; 600 s leaves room for that without
# letting a runaway loop hang the grader.
c.Execute.timeout = 600

# What a solution region becomes in the student version.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}

"""A trap for densified sparse matrices, shared by the tests of sparse input
(test_sparse, test_chains)."""

import scipy.sparse as sp

#: the sparse formats the trap covers, the classes of each that define the methods
FORMATS = (sp.csr_array, sp.csc_array, sp.coo_array, sp.csr_matrix, sp.coo_matrix)


def _refusing(original):
    """``original`` (a sparse format's toarray or todense), refusing a matrix: a vector,
    a row or a column of results (e.g. the column maxima) may still be made dense."""

    def method(self, *args, **kwargs):
        if len(self.shape) == 2 and min(self.shape) > 1:
            raise AssertionError(f"a sparse {self.shape} matrix was densified")
        return original(self, *args, **kwargs)

    return method


def refuse_densifying(monkeypatch):
    """Make ``toarray`` and ``todense`` of every sparse format raise AssertionError
    ("densified") on a matrix, for the rest of the test (pytest's ``monkeypatch``)."""
    for cls in FORMATS:
        for klass in cls.__mro__:  # wherever a format defines them
            for name in ("toarray", "todense"):
                if name in vars(klass):
                    monkeypatch.setattr(klass, name, _refusing(vars(klass)[name]))

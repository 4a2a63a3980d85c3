"""pymongo.errors of the stand-in (see __init__.py)."""


class PyMongoError(Exception):
    pass


class OperationFailure(PyMongoError):
    def __init__(self, error, code=None, details=None):
        super().__init__(error)
        self.code = code
        self.details = details

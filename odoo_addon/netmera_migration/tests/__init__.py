from . import test_import_batch
from . import test_partial_batch
from . import test_rollback
from . import test_state_machine
from . import test_owner_matching
from . import test_custom_fields
from . import test_access_rights
from . import test_history

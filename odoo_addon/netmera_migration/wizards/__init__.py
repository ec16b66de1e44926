from . import netmera_gdpr_authorise_wizard
from . import netmera_snapshot_upload

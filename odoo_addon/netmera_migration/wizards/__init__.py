from . import netmera_gdpr_authorise_wizard

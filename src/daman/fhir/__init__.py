"""HL7 FHIR R4 (4.0.1) for provider software: the financial module over Daman's domains.

The resources are read and written with fhir.resources' R4B models (the financial module
did not change between R4 and R4B), plus Daman's own checks of the codes and value sets
the library leaves open (`codes.py`). Errors are OperationOutcomes naming the element path.
"""

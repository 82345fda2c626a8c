"""The definition layer: load an ASL document, validate it as AWS would, and model it.

* ``load.load_definition(source)`` -> dict (JSON text, file or dict; raises ``InvalidDefinition``)
* ``validate.validate(definition)`` -> list of ``Diagnostic`` (AWS codes, messages, locations)
* ``model.StateMachineModel.model_validate(definition)`` -> typed, immutable view for the compiler
"""

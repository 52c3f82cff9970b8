Attribute VB_Name = "NCRibbon"
' Ribbon callbacks of the Northern Connections add-in (customUI14.xml).
' Every button of the Northern Connections tab calls OnAction with its control;
' the button id goes to Python, where nc_excel.ribbon.dispatch runs the action.
' RunPython comes from the xlwings module of this add-in.
Option Explicit

Public Sub OnAction(control As IRibbonControl)
    RunPython "import nc_excel.ribbon; nc_excel.ribbon.dispatch('" & control.Id & "')"
End Sub

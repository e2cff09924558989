<?xml version="1.0" encoding="utf-8"?>
<!-- Fabrikam's order XML in D365's XML-Attribute form: one element per record, upper-case
     field names, lines carrying their order's number. The stylesheet twin of the
     order-xml-transform plugin. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:include href="common/fields.xsl"/>
  <xsl:output method="xml" encoding="utf-8" indent="yes"/>

  <xsl:template match="/">
    <Document>
      <xsl:apply-templates select="Orders/Order"/>
    </Document>
  </xsl:template>

  <xsl:template match="Order">
    <SALESORDERHEADERV2ENTITY>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'SALESORDERNUMBER'"/><xsl:with-param name="value" select="@number"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'ORDERINGCUSTOMERACCOUNTNUMBER'"/><xsl:with-param name="value" select="@buyer"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'CURRENCYCODE'"/><xsl:with-param name="value" select="@currency"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'REQUESTEDSHIPPINGDATE'"/><xsl:with-param name="value" select="@deliveryDate"/></xsl:call-template>
    </SALESORDERHEADERV2ENTITY>
    <xsl:apply-templates select="Lines/Line"/>
  </xsl:template>

  <xsl:template match="Line">
    <SALESORDERLINEV2ENTITY SALESORDERNUMBER="{normalize-space(../../@number)}">
      <xsl:call-template name="field"><xsl:with-param name="name" select="'LINENUMBER'"/><xsl:with-param name="value" select="@no"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'ITEMNUMBER'"/><xsl:with-param name="value" select="@sku"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'ORDEREDSALESQUANTITY'"/><xsl:with-param name="value" select="@qty"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'SALESPRICE'"/><xsl:with-param name="value" select="@price"/></xsl:call-template>
      <xsl:call-template name="field"><xsl:with-param name="name" select="'SALESUNITSYMBOL'"/><xsl:with-param name="value" select="@unit"/></xsl:call-template>
    </SALESORDERLINEV2ENTITY>
  </xsl:template>
</xsl:stylesheet>
